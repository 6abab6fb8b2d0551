"""The package's structure, checked from its source: no private names imported across modules, each constant
defined once, no import loops between modules, no module over 600 lines."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "vsslib"
MAX_LINES = 600


def _modules() -> dict[str, ast.Module]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = ast.parse(path.read_text(), filename=str(path))
    return out


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_package(module: str) -> bool:
    return (PACKAGE.parent / module.replace(".", "/") / "__init__.py").is_file()


def test_no_module_imports_another_modules_private_names() -> None:
    offences = []
    for module, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                target = _resolve(module, _is_package(module), node)
                for alias in node.names:
                    if alias.name.startswith("_") and target != module and target.startswith("vsslib"):
                        offences.append(f"{module} imports {target}.{alias.name}")
    assert not offences, offences


def test_each_constant_is_defined_once() -> None:
    where = defaultdict(list)
    for module, tree in _modules().items():
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
                node, ast.AnnAssign) else []
            for target in targets:
                if isinstance(target, ast.Name) and target.id.isupper() and target.id != "T":
                    where[target.id].append(module)
    repeated = {name: modules for name, modules in where.items() if len(modules) > 1}
    assert not repeated, repeated


def test_no_import_loops_between_modules() -> None:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, tree in modules.items():
        for node in tree.body:  # module-level imports only: the ones that run at import time
            if isinstance(node, ast.ImportFrom):
                target = _resolve(module, _is_package(module), node)
                candidates = [target] + [f"{target}.{a.name}" for a in node.names]
                graph[module].update(c for c in candidates if c in modules and c != module)
    # A package's __init__ importing its own submodules is how packages are built, not a loop.
    edges = {m: {t for t in ts if not (t.startswith(m + ".") and _is_package(m))} for m, ts in graph.items()}
    state: dict[str, int] = {}
    loops = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                loops.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    # Loops through a package __init__ that re-exports a sibling are the only ones allowed.
    real = [loop for loop in loops if not any(_is_package(m) for m in loop)]
    assert not real, real


def test_no_module_is_over_600_lines() -> None:
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, long
