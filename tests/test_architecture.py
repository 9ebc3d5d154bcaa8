"""The package's layout keeps its promises: imports flow one way; the public names are pinned."""

import ast
from pathlib import Path

import pytest

import injectq
import injectq.errors

PACKAGE = Path(injectq.__file__).resolve().parent

# record -> compile -> serve: a module may import only from lower layers (layer 0 modules
# may import each other).
LAYERS: dict[str, float] = {
    "errors": 0,
    "_keys": 0,
    "_source": 0,
    "_generics": 0.5,
    "_introspect": 1,
    "_provided": 1.5,
    "_marks": 2.0,
    "_records": 2.05,
    "_module": 2.1,
    # The compiler (layer 3), its own modules in import order: the planner; where private
    # modules' bindings are visible; the texts of visibility and open-key problems; the
    # checks and their messages, and the compiled nodes; open generic bindings; the phases
    # (collections assembled after phase 1, nodes built last); the function plans.
    "_plan": 3.0,
    "_private": 3.05,
    "_keychecks": 3.07,
    "_checks": 3.1,
    "_nodes": 3.1,
    "_open": 3.15,
    "_composite_checks": 3.15,
    "_graph_checks": 3.15,
    "_products": 3.16,
    "_points": 3.16,
    "_drafts": 3.18,
    "_graph": 3.2,
    "_assemble": 3.22,
    "_build": 3.23,
    "_compile": 3.25,
    "_calls": 3.3,
    "_view": 4,
    "_lifecycle": 4,
    "_links": 3.9,
    "_creation": 4,
    "_tracing": 4.5,
    "_codegen": 4.55,
    "_factories": 4.6,
    "_emit": 4.7,
    "_resolver": 5,
    "_arguments": 5.5,
    "_scopes": 6,
    "_overrides": 6,
    "_fast": 5.9,
    "_container": 6,
    "_inject": 7,
    "_discover": 7,
    "_cli": 8,
    "__main__": 9,
    "testing": 8,
    "integrations": 8,
    "__init__": 9,
}


# Within layer 6 the facade imports the context managers it hands out (scopes, then the
# overrides built on them), never the reverse; the framework modules build on the
# integration kit (and FastAPI's on Starlette's).
SAME_LAYER = {
    ("_container", "_scopes"),
    ("_container", "_overrides"),
    ("_overrides", "_scopes"),
    ("integrations", "integrations"),
}

# The frameworks the integrations serve: only injectq/integrations/ may import them.
FRAMEWORKS = {
    "aiohttp",
    "celery",
    "click",
    "django",
    "fastapi",
    "flask",
    "litestar",
    "starlette",
    "typer",
    "uvicorn",
    "werkzeug",
}


def injectq_imports(path: Path) -> set[str]:
    """The injectq modules a file imports, anywhere in it (functions included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("injectq"):
            parts = node.module.split(".")
            if len(parts) > 1:
                found.add(parts[1])
            else:  # `from injectq import x`: the public API
                found.add("__init__")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "injectq":
                    found.add(parts[1] if len(parts) > 1 else "__init__")
    return found


SOURCES = sorted(p for p in PACKAGE.rglob("*.py"))


def layer_of(path: Path) -> float:
    rel = path.relative_to(PACKAGE)
    name = rel.parts[0] if len(rel.parts) > 1 else rel.stem
    return LAYERS[name]


def test_every_module_has_a_layer() -> None:
    """Each source file of the package is placed in the layer table."""
    for path in SOURCES:
        layer_of(path)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_flow_one_way(path: Path) -> None:
    """A module imports only from layers below it (the public API only from layer 8 up)."""
    mine = layer_of(path)
    rel = path.relative_to(PACKAGE)
    me = rel.parts[0] if len(rel.parts) > 1 else rel.stem
    for target in injectq_imports(path):
        theirs = LAYERS[target]
        if target == "__init__":
            assert mine >= 8, f"{path.name} imports the public package from inside it"
        else:
            assert theirs < mine or theirs == mine == 0 or (me, target) in SAME_LAYER, (
                f"{path.name} (layer {mine}) imports {target} (layer {theirs})"
            )


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_integrations_import_a_framework(path: Path) -> None:
    """The core runs without any web or task framework installed."""
    if path.relative_to(PACKAGE).parts[0] == "integrations":
        return
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            assert name.split(".")[0] not in FRAMEWORKS, f"{path.name} imports {name}"


def test_public_names_are_pinned() -> None:
    """__all__ is exactly the documented public API, and every name in it exists."""
    assert sorted(injectq.__all__) == [
        "Activation",
        "Assisted",
        "AsyncFactory",
        "AsyncProvider",
        "AsyncRequiredError",
        "AsyncTeardownError",
        "BindingError",
        "BindingInfo",
        "BindingRecord",
        "CircularDependencyError",
        "ContainerClosedError",
        "DependencyInfo",
        "Factory",
        "FactoryArgumentError",
        "GraphView",
        "INJECTED",
        "Inject",
        "InjectQ",
        "InjectQError",
        "InjectionPoint",
        "LifecycleError",
        "MissingBindingError",
        "Module",
        "Named",
        "NoActiveContainerError",
        "Override",
        "PluginLoadError",
        "PrivateModule",
        "PrivateModuleInfo",
        "Problem",
        "Provider",
        "ResolutionError",
        "Scope",
        "ScopeError",
        "UsageError",
        "discover",
        "inject",
        "provider",
        "resource",
        "scoped",
        "singleton",
        "transient",
    ]
    for name in injectq.__all__:
        assert getattr(injectq, name) is not None


def test_errors_form_one_tree_importable_from_both_places() -> None:
    """Every error derives from InjectQError and is importable from injectq.errors."""
    for name in injectq.errors.__all__:
        error = getattr(injectq.errors, name)
        if name == "Problem":
            continue
        assert issubclass(error, injectq.InjectQError)
        assert getattr(injectq, name) is error
    assert issubclass(injectq.MissingBindingError, LookupError)
    assert issubclass(injectq.UsageError, TypeError)
    assert issubclass(injectq.CircularDependencyError, injectq.BindingError)
    assert issubclass(injectq.ScopeError, injectq.ResolutionError)
