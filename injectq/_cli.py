"""The command line: ``python -m injectq check|graph|explain MODULE:ATTR ...``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from injectq import BindingError, InjectQ, Module

__all__ = ["main"]


class _UsageError(Exception):
    """A problem with the command line: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, no usage dump
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m injectq", description="Check, draw and explain injectq wiring."
    )
    commands = parser.add_subparsers(dest="command", metavar="{check,graph,explain}")
    check = commands.add_parser("check", help="install the modules; exit 1 on problems")
    check.add_argument("modules", nargs="+", metavar="MODULE:ATTR")
    check.add_argument("--strict", action="store_true", help="no just-in-time bindings")
    graph = commands.add_parser("graph", help="print the graph")
    graph.add_argument("modules", nargs="+", metavar="MODULE:ATTR")
    graph.add_argument("--format", choices=["text", "mermaid", "dot"], default="text")
    explain = commands.add_parser("explain", help="show how one key is resolved")
    explain.add_argument("modules", nargs="+", metavar="MODULE:ATTR")
    explain.add_argument("key", metavar="KEY", help="a class name, or module:Class")
    explain.add_argument("--name", default=None, help="the binding name, if any")
    return parser


def _load(reference: str) -> Module:
    module_name, sep, attr = reference.partition(":")
    if not sep or not module_name or not attr:
        msg = f"{reference!r} is not a MODULE:ATTR reference (e.g. myapp.wiring:AppModule)"
        raise _UsageError(msg)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any import failure is the user's to fix
        msg = f"cannot import {module_name!r}: {type(exc).__name__}: {exc}"
        raise _UsageError(msg) from None
    target: Any = module
    for part in attr.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            msg = f"{module_name!r} has no attribute {attr!r}"
            raise _UsageError(msg) from None
    if isinstance(target, type) and issubclass(target, Module):
        return target()
    if isinstance(target, Module):
        return target
    if callable(target) and not isinstance(target, type):
        made = target()
        if isinstance(made, Module):
            return made
        target = made
    msg = (
        f"{reference} is {type(target).__name__} {target!r}, not an injectq Module "
        "(name a Module subclass, a Module instance, or a function returning one)"
    )
    raise _UsageError(msg)


def _resolve_key(container: InjectQ, text: str) -> Any:
    if ":" in text:
        module_name, _, attr = text.partition(":")
        try:
            target: Any = importlib.import_module(module_name)
            for part in attr.split("."):
                target = getattr(target, part)
        except Exception as exc:  # noqa: BLE001
            msg = f"cannot find the key {text!r}: {type(exc).__name__}: {exc}"
            raise _UsageError(msg) from None
        return target
    matches = {info.key for info in container.graph if getattr(info.key, "__name__", None) == text}
    if len(matches) == 1:
        return matches.pop()
    if not matches:
        known = sorted({getattr(i.key, "__name__", str(i.key)) for i in container.graph})
        msg = f"no bound key is named {text!r}; bound: {', '.join(known) or 'nothing'}"
        raise _UsageError(msg)
    found = sorted(f"{getattr(k, '__module__', '?')}:{k.__name__}" for k in matches)
    msg = f"{text!r} is ambiguous; use one of: {', '.join(found)}"
    raise _UsageError(msg)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    args = _parser().parse_args(argv)
    if args.command is None:
        msg = "a command is needed: check, graph or explain"
        raise _UsageError(msg)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 binding problems, 2 usage)."""
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # like `python -m`: the project is importable
    try:
        args = _parse(argv)
        modules = [_load(reference) for reference in args.modules]
        try:
            container = InjectQ(*modules, strict=getattr(args, "strict", False))
        except BindingError as error:
            print(f"injectq.{type(error).__name__}: {error}", file=sys.stderr)
            count = len(error.problems)
            print(f"check failed: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
            return 1
        if args.command == "check":
            graph = container.graph
            print(
                f"ok: {len(graph)} bindings from {len(graph.modules)} module(s) "
                f"({', '.join(graph.modules)}) install cleanly"
            )
        elif args.command == "graph":
            graph = container.graph
            out = {"text": graph.to_text, "mermaid": graph.to_mermaid, "dot": graph.to_dot}
            sys.stdout.write(out[args.format]())
        else:
            key = _resolve_key(container, args.key)
            view = container.graph
            sys.stdout.write(view.explain(key, args.name))
            if view.get(key, args.name) is None:  # not bound (perhaps only by name)
                return 1
    except _UsageError as problem:
        print(f"python -m injectq: error: {problem}", file=sys.stderr)
        return 2
    return 0
