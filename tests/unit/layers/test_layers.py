"""The layers of ``spip/``: imports point down, never up or sideways into a cycle.

Each sub-package is a layer; a module may import its own layer and the layers below
it. Imports only for type checking (under ``if TYPE_CHECKING:``) are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import spip

# Bottom first. The docstring of each sub-package says what it holds and may import.
LAYERS = (
    "core",
    "plan",
    "policy",
    "ui",
    "local",
    "index",
    "installer",
    "checks",
    "afterinstall",
    "install",
    "audit",
    "cli",
)
ROOT = Path(spip.__file__).parent


def _runtime_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(node)
        for branch in ast.walk(tree)
        if isinstance(branch, ast.If) and "TYPE_CHECKING" in ast.unparse(branch.test)
        for node in ast.walk(branch)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("spip.")}


def _layer(module: str) -> str:
    return module.split(".")[1]


def test_every_package_is_a_layer_with_a_docstring() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages == set(LAYERS)
    for layer in LAYERS:
        assert ast.get_docstring(ast.parse((ROOT / layer / "__init__.py").read_text()))


def test_imports_point_down() -> None:
    upward = []
    for path in ROOT.rglob("*.py"):
        if path.parent == ROOT:
            continue  # spip/__init__.py (the version) and __main__.py
        mine = LAYERS.index(path.relative_to(ROOT).parts[0])
        for module in _runtime_imports(path):
            if _layer(module) in LAYERS and LAYERS.index(_layer(module)) > mine:
                upward.append(f"{path.relative_to(ROOT)} imports {module}")
    assert upward == []


def test_no_import_cycle_between_modules() -> None:
    modules = {
        ".".join(("spip", *p.relative_to(ROOT).with_suffix("").parts)).removesuffix(".__init__"): p
        for p in ROOT.rglob("*.py")
    }
    graph = {
        name: {m for m in _runtime_imports(path) if m in modules and m != name}
        for name, path in modules.items()
    }
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for dep in graph[name]:
            assert state.get(dep) != 1, " -> ".join([*trail, dep])
            if dep not in state:
                visit(dep, [*trail, dep])
        state[name] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])
