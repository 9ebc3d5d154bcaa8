"""Read a constructor's or function's signature once into dependency records.

Nothing here decides what a parameter will receive; the graph compiler does that with the
records made here. Results are cached per callable, so a class used by several bindings is
read once.
"""

from __future__ import annotations

import builtins
import collections.abc
import contextlib
import inspect
import types
import typing
import weakref
from collections.abc import Callable
from typing import Annotated, Any, Final

import attrs

from injectq._generics import substitute, typevar_map
from injectq._keys import (
    ASSISTED_MARKER,
    INJECT_MARKER,
    INJECTED,
    AsyncFactory,
    AsyncProvider,
    Factory,
    Named,
    Provider,
    describe,
    origin_of,
)

__all__ = [
    "Param",
    "Signature",
    "collection_of",
    "hints_of",
    "list_of",
    "read_callable",
    "read_class",
]

_EMPTY = inspect.Parameter.empty
_MAPPING_ORIGINS = (dict, collections.abc.Mapping, typing.Mapping)
# typing.List[T] and typing.Sequence[T] have these origins too.
_SEQUENCE_ORIGINS = (list, collections.abc.Sequence)


@attrs.frozen(slots=False)  # made for every parameter read: a dict is set faster than slots
class Param:
    """One parameter of a callable, as read from its signature.

    Attributes:
        name: The parameter name.
        keyword: Passed by keyword (keyword-only parameters) rather than by position.
        annotated: Whether it has a type annotation at all.
        tp: The type asked for, with `Annotated`, `Optional` and `Provider` peeled off.
        name_of: The binding name from ``Annotated[T, Named(...)]``.
        optional: Annotated ``T | None``.
        default: The default value, or `inspect.Parameter.empty`.
        provider: Annotated ``Provider[T]`` or ``AsyncProvider[T]``.
        async_provider: Annotated ``AsyncProvider[T]``: calling it returns an awaitable.
        mapping_of: ``T`` for ``dict[str, T]`` / ``Mapping[str, T]``.
        collection_of: ``T`` for ``list[T]`` / ``Sequence[T]``.
        explicit: Marked with ``Inject[T]`` or the default `INJECTED` (which is then no
            default: the parameter is injected).
        problem: Why the annotation cannot be injected, if it cannot.
        factory: Annotated ``Factory[T]`` or ``AsyncFactory[T]`` (``tp`` is ``T``).
        async_factory: Annotated ``AsyncFactory[T]``: its calls return awaitables.
        assisted: Marked ``Assisted[T]``: passed by the caller of a factory, never injected.
    """

    name: str
    keyword: bool
    annotated: bool
    tp: Any = None
    name_of: str | None = None
    optional: bool = False
    default: Any = _EMPTY
    provider: bool = False
    async_provider: bool = False
    mapping_of: Any = None
    collection_of: Any = None
    explicit: bool = False
    problem: str | None = None
    positional_only: bool = False
    factory: bool = False
    async_factory: bool = False
    assisted: bool = False

    def __attrs_post_init__(self) -> None:
        if self.default is INJECTED:
            object.__setattr__(self, "default", _EMPTY)
            object.__setattr__(self, "explicit", True)

    @property
    def has_default(self) -> bool:
        """Whether the parameter has a default value."""
        return self.default is not _EMPTY


_PARAM_FIELDS: Final = {field.name: field.default for field in attrs.fields(Param)}
_new = object.__new__


def plain_param(
    name: str, tp: type | None, default: Any, *, keyword: bool, positional_only: bool
) -> Param:
    """``Param(name, keyword, annotated=tp is not None, tp=tp, default=default, ...)``.

    What the quick reader makes for each parameter whose annotation is a plain class (or
    absent: ``tp`` None): the same record, its fields set straight into its dict, at a
    third of the cost of the attrs constructor (about 0.9 us less per parameter here).
    """
    if default is INJECTED:  # what __attrs_post_init__ turns into an explicit parameter
        return Param(
            name,
            keyword,
            annotated=tp is not None,
            tp=tp,
            default=default,
            positional_only=positional_only,
        )
    param: Param = _new(Param)
    fields = param.__dict__
    fields.update(_PARAM_FIELDS)
    fields["name"] = name
    fields["keyword"] = keyword
    fields["annotated"] = tp is not None
    fields["tp"] = tp
    fields["default"] = default
    fields["positional_only"] = positional_only
    return param


@attrs.frozen(slots=False)  # one per callable read: as for `Param`
class Signature:
    """The injectable view of a callable.

    Attributes:
        owner: A readable name: ``CheckoutService.__init__`` or ``make_pool``.
        params: The named parameters, in order.
        variadic: The names of ``*args`` / ``**kwargs`` parameters.
        problem: Why the signature could not be read (e.g. an unresolvable forward reference).
    """

    owner: str
    params: tuple[Param, ...]
    variadic: tuple[str, ...] = ()
    problem: str | None = None


_cache: weakref.WeakKeyDictionary[Any, Signature] = weakref.WeakKeyDictionary()
# Apart from _cache: a class read as a callable (a provider) is not read as its constructor.
_callables: weakref.WeakKeyDictionary[Any, Signature] = weakref.WeakKeyDictionary()


def _owner_name(fn: Any) -> str:
    qualname = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    return str(qualname) if qualname else repr(fn)


def read_class(cls: Any) -> Signature:
    """Read the constructor of a class (or of the origin of a parametrised generic).

    For a parametrised generic (``SqlRepo[User]``), or a class deriving from one
    (``class UserRepo(SqlRepo[User])``), the constructor's annotations are read with the
    type variables filled in, also when it is inherited from a generic base.
    """
    origin = origin_of(cls)
    plain = origin is cls  # read once per class, what it gives its generic bases included
    if plain:
        try:
            cached = _cache.get(origin)
        except TypeError:  # a class that takes no weak references
            cached = None
        if cached is not None:
            return cached
    maps: dict[type, dict[Any, Any]] = {}
    if not plain or _derives_from_generic(cls):
        _, maps = typevar_map(cls)
        if not any(maps.values()):
            maps = {}
    sig = _read_class(origin, maps)
    if plain:
        try:  # noqa: SIM105 - contextlib.suppress costs more than reading a constructor
            _cache[origin] = sig
        except TypeError:  # a class that takes no weak references
            pass
    return sig


def _derives_from_generic(cls: type) -> bool:
    """Whether a class of ``cls``'s MRO names a parametrised generic among its bases.

    What ``getattr(cls, "__orig_bases__", None)`` tells, read from each class's own dict:
    for the many classes that have none, an absent attribute costs an exception.
    """
    for klass in cls.__mro__:  # noqa: SIM110 - no generator per class read: install is hot
        if klass.__dict__.get("__orig_bases__"):
            return True
    return False


def _init_owner(cls: type) -> tuple[type | None, Any]:
    """The class of ``cls``'s MRO that defines its constructor, and the constructor."""
    for klass in cls.__mro__:
        if klass is object:
            break
        own = klass.__dict__
        if "__init__" in own:
            return klass, own["__init__"]
        if "__new__" in own:
            return klass, own["__new__"]
    return None, None


_METHOD_WRAPPERS: Final = (staticmethod, classmethod)


def _read_class(cls: type, maps: dict[type, dict[Any, Any]]) -> Signature:
    defined_in, fn = _init_owner(cls)
    if fn is None:
        return Signature(f"{cls.__qualname__}.__init__", ())
    typevars = maps.get(defined_in, {}) if defined_in is not None else {}
    if maps and not typevars:
        typevars = maps.get(cls, {})
    if isinstance(fn, _METHOD_WRAPPERS):
        fn = fn.__func__
    if isinstance(fn, types.FunctionType):  # what functools.wraps set is in its own dict
        wrapped = "__wrapped__" in fn.__dict__  # (an absent attribute costs an exception)
    else:
        wrapped = hasattr(fn, "__wrapped__")
    if wrapped:
        fn = inspect.unwrap(fn)
    owner = f"{cls.__qualname__}.{getattr(fn, '__name__', '__init__')}"
    localns = {cls.__name__: cls}
    if not typevars:
        quick = _read_code(fn, owner, skip=1, localns=localns)
        if quick is not None:
            return quick
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        return Signature(owner, (), problem=f"its signature cannot be read ({exc})")
    params = list(sig.parameters.values())[1:]  # self / cls
    return _read(fn, owner, params, typevars, localns)


def read_callable(
    fn: Callable[..., Any], owner: str | None = None, *, typevars: dict[Any, Any] | None = None
) -> Signature:
    """Read a function, method, lambda or `functools.partial`.

    With ``typevars``, annotations holding those type variables are read with them filled
    in (a provider of an open generic binding, for one closed key); such a reading is not
    cached.
    """
    label = owner or _owner_name(fn)
    if typevars:
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError) as exc:
            return Signature(label, (), problem=f"its signature cannot be read ({exc})")
        return _read(fn, label, list(sig.parameters.values()), typevars, {})
    try:
        cached = _callables.get(fn)
    except TypeError:
        cached = None
    if cached is not None:
        return cached
    quick = None
    if isinstance(fn, types.FunctionType):
        quick = _read_code(fn, label, skip=0)
    elif isinstance(fn, types.MethodType) and isinstance(fn.__func__, types.FunctionType):
        quick = _read_code(fn.__func__, label, skip=1)  # a bound method: not its self
    if quick is not None:
        try:  # noqa: SIM105 - as above
            _callables[fn] = quick
        except TypeError:  # a callable that takes no weak references
            pass
        return quick
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        return Signature(label, (), problem=f"its signature cannot be read ({exc})")
    result = _read(fn, label, list(sig.parameters.values()), {}, {})
    with contextlib.suppress(TypeError):
        _callables[fn] = result
    return result


_VARIADIC: Final = inspect.CO_VARARGS | inspect.CO_VARKEYWORDS


def _read_code(
    fn: Any, owner: str, *, skip: int, localns: dict[str, Any] | None = None
) -> Signature | None:
    """Read a plain function from its code object, or None when the full reader is needed.

    Equivalent to `inspect.signature` plus `typing.get_type_hints` for a function whose
    every annotation is a plain class, or a string that is the bare name of one (no
    generics, unions or `Annotated`), with no ``__signature__`` override: reading
    ``__code__``, ``__annotations__``, ``__defaults__`` and ``__kwdefaults__`` costs a
    fraction of those two.

    Args:
        fn: The function (already unwrapped).
        owner: Its readable name.
        skip: How many leading parameters to leave out (1 for ``self`` of ``__init__``).
        localns: Names visible to string annotations besides the function's globals.
    """
    code = getattr(fn, "__code__", None)
    if not isinstance(code, types.CodeType):
        return None
    own = vars(fn)
    if "__signature__" in own or "__wrapped__" in own:  # inspect.signature reads those
        return None
    given_all: dict[str, Any] = fn.__annotations__
    annotations = given_all  # copied only when a string annotation names a class
    for name, given in given_all.items():
        if type(given) is type or name == "return":  # a plain class, the common case
            continue
        # With `from __future__ import annotations` every annotation is a string: a bare
        # name is looked up as get_type_hints would; anything else takes the full reader.
        hint = _lookup_name(given, fn, localns) if isinstance(given, str) else given
        if not isinstance(hint, type) or isinstance(hint, types.GenericAlias):
            return None
        if hint is not given:
            if annotations is given_all:
                annotations = dict(given_all)
            annotations[name] = hint
    positional = code.co_argcount
    names = code.co_varnames[: positional + code.co_kwonlyargcount]
    defaults = fn.__defaults__ or ()
    first_default = positional - len(defaults)
    kwdefaults = fn.__kwdefaults__ or {}
    params: list[Param] = []
    for index in range(skip, len(names)):
        name = names[index]
        if index < positional:
            default = defaults[index - first_default] if index >= first_default else _EMPTY
        else:
            default = kwdefaults.get(name, _EMPTY)
        hint = annotations.get(name)  # a plain class, or None: not annotated
        params.append(
            plain_param(
                name,
                hint,
                default,
                keyword=index >= positional,
                positional_only=index < code.co_posonlyargcount,
            )
        )
    flags = code.co_flags
    if not flags & _VARIADIC:
        return Signature(owner, tuple(params))
    variadic: list[str] = []
    extra = positional + code.co_kwonlyargcount
    if flags & inspect.CO_VARARGS:
        variadic.append("*" + code.co_varnames[extra])
        extra += 1
    if flags & inspect.CO_VARKEYWORDS:
        variadic.append("**" + code.co_varnames[extra])
    return Signature(owner, tuple(params), tuple(variadic))


_MISSING: Any = object()


def _lookup_name(text: str, fn: Any, localns: dict[str, Any] | None) -> Any:
    """What a string annotation that is a bare name refers to, as `get_type_hints` finds it."""
    if not text.isidentifier():
        return _MISSING
    if localns is not None and text in localns:
        return localns[text]
    found = fn.__globals__.get(text, _MISSING)
    if found is _MISSING:
        found = getattr(builtins, text, _MISSING)
    return found


def hints_of(fn: Any, localns: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    target = fn.func if hasattr(fn, "func") and hasattr(fn, "keywords") else fn
    # Always our own locals mapping: when locals and globals are the same object,
    # typing reuses a ForwardRef's first evaluation, and typing caches Annotated["X", ...]
    # across modules, so a string annotation could resolve to another module's X.
    try:
        return typing.get_type_hints(target, localns=dict(localns), include_extras=True), None
    except NameError as exc:
        return {}, f"a forward reference in its annotations does not resolve ({exc})"
    except Exception as exc:  # noqa: BLE001 - any failure of user annotations is reported
        return {}, f"its annotations cannot be evaluated ({type(exc).__name__}: {exc})"


def _read(
    fn: Any,
    owner: str,
    params: list[inspect.Parameter],
    typevars: dict[Any, Any],
    localns: dict[str, Any],
) -> Signature:
    hints, problem = hints_of(fn, localns)
    if problem is not None:
        return Signature(owner, (), problem=problem)
    out: list[Param] = []
    variadic: list[str] = []
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            variadic.append(("*" if p.kind is p.VAR_POSITIONAL else "**") + p.name)
            continue
        keyword = p.kind is p.KEYWORD_ONLY
        positional_only = p.kind is p.POSITIONAL_ONLY
        hint = hints.get(p.name, _EMPTY)
        if hint is _EMPTY:
            out.append(
                Param(
                    p.name,
                    keyword,
                    annotated=False,
                    default=p.default,
                    positional_only=positional_only,
                )
            )
            continue
        out.append(
            parse_annotation(
                _substitute(hint, typevars),
                p.name,
                keyword=keyword,
                default=p.default,
                positional_only=positional_only,
            )
        )
    return Signature(owner, tuple(out), tuple(variadic))


def _substitute(hint: Any, typevars: dict[Any, Any]) -> Any:
    try:
        return substitute(hint, typevars)
    except TypeError:
        return hint


def parse_annotation(
    hint: Any,
    name: str = "",
    *,
    keyword: bool = False,
    default: Any = _EMPTY,
    positional_only: bool = False,
) -> Param:
    """Peel `Annotated`, ``Optional``, `Provider`, `Factory` and mappings off one annotation.

    The other arguments are the parameter's own fields, set on the result directly.
    """

    def make(**fields: Any) -> Param:
        # `assisted` as found so far: a marked parameter is never injected, whatever its type.
        return Param(
            name,
            keyword,
            default=default,
            positional_only=positional_only,
            assisted=assisted,
            **fields,
        )

    name_of: str | None = None
    args: tuple[Any, ...]
    explicit = False
    optional = False
    provider = False
    async_provider = False
    factory = False
    async_factory = False
    assisted = False
    tp = hint
    for _ in range(8):  # the wrappers nest a few levels at most
        origin = typing.get_origin(tp)
        if origin is Annotated:
            name_of, explicit, assisted = _markers(tp.__metadata__, (name_of, explicit, assisted))
            tp = typing.get_args(tp)[0]
            continue
        if origin is typing.Union or isinstance(tp, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(members) != len(typing.get_args(tp)):
                optional = True
            if len(members) != 1:
                return make(
                    annotated=True,
                    tp=hint,
                    problem=(
                        f"its annotation {describe(hint)} is a union of several types; "
                        "injectq injects one type (or T | None)"
                    ),
                )
            tp = members[0]
            continue
        if origin in (Provider, AsyncProvider) and not provider and not factory:
            provider = True
            async_provider = origin is AsyncProvider
            args = typing.get_args(tp)
            if not args:
                form = "AsyncProvider" if async_provider else "Provider"
                return make(
                    annotated=True,
                    tp=hint,
                    problem=(f"{form} needs a type argument: {form}[T]"),
                )
            tp = args[0]
            continue
        if origin in (Factory, AsyncFactory) and not factory:
            factory = True
            async_factory = origin is AsyncFactory
            tp = typing.get_args(tp)[0]
            continue
        if tp in (Factory, AsyncFactory) or (origin in (Provider, AsyncProvider) and factory):
            form = getattr(tp, "__name__", "Factory")
            return make(
                annotated=True,
                tp=hint,
                problem=(
                    f"{form} needs a type argument: {form}[T]"
                    if tp in (Factory, AsyncFactory)
                    else f"{describe(hint)} is not supported; use Provider[Factory[T]]"
                ),
            )
        break
    if isinstance(tp, str):
        return make(
            annotated=True,
            tp=tp,
            problem=(f"its annotation is the string {tp!r}, which does not resolve to a type"),
        )
    mapping_of = None
    origin = typing.get_origin(tp)
    if origin in _MAPPING_ORIGINS:
        args = typing.get_args(tp)
        if len(args) == 2 and args[0] is str:
            mapping_of = args[1]
    return make(
        annotated=True,
        tp=tp,
        name_of=name_of,
        optional=optional,
        provider=provider,
        async_provider=async_provider,
        mapping_of=mapping_of,
        collection_of=collection_of(tp),
        explicit=explicit,
        factory=factory,
        async_factory=async_factory,
    )


def collection_of(tp: Any) -> Any:
    """``T`` for ``list[T]`` and ``Sequence[T]`` (``typing`` and ``collections.abc`` alike).

    Returns None for any other type.
    """
    if typing.get_origin(tp) in _SEQUENCE_ORIGINS:
        args = typing.get_args(tp)
        if len(args) == 1:
            return args[0]
    return None


def _markers(
    metadata: tuple[Any, ...], found: tuple[str | None, bool, bool]
) -> tuple[str | None, bool, bool]:
    """What ``Annotated`` metadata adds to ``found``: a name, ``Inject``, ``Assisted``."""
    name_of, explicit, assisted = found
    for meta in metadata:
        if isinstance(meta, Named):
            name_of = meta.name
        elif meta is INJECT_MARKER:
            explicit = True
        elif meta is ASSISTED_MARKER:
            assisted = True
    return name_of, explicit, assisted


def list_of(tp: Any) -> Any:
    """``list[tp]``: the key a collection of ``tp`` is bound to."""
    return types.GenericAlias(list, (tp,))
