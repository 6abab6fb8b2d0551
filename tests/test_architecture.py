"""The package's structure, checked from its source: no private names imported across modules, each constant
defined once, every import (function-local ones too) to its own layer or below, no import loops between modules
or packages, no module over 600 lines."""

from __future__ import annotations

import ast
import re
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


LAYERS = {
    "base": ("base",),
    "method": ("data", "metrics", "masks", "refine", "classify", "segmenters", "sam2_mini", "analysis", "statistics",
               "significance"),
    "viz": ("viz",),
    "study": ("study", "__main__"),
}
"""Layers, lowest first, by the folder (or top-level module) of ``vsslib/`` a module lies in: a module imports only
from its own layer or below (the package root ``vsslib``, the public face, stands above them all)."""
WINGS = ("base", "study")
"""Folders that group a layer's rooms: their modules and packages are rooms as the top level's are."""
RANK = {top: rank for rank, names in enumerate(LAYERS.values()) for top in names}


def _layer(module: str) -> int:
    parts = module.split(".")
    return len(LAYERS) if len(parts) == 1 else RANK[parts[1]]


def _import_graph() -> dict[str, set[str]]:
    """module -> the package modules it makes Python execute: every import anywhere in the file (function-local
    ones and those under ``TYPE_CHECKING`` included), plus the packages above each target (importing
    ``vsslib.masks.base`` runs ``vsslib/masks/__init__.py``) other than the root and the module's own."""
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, tree in modules.items():
        own = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 2)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                target = _resolve(module, _is_package(module), node)
                candidates = [target] + [f"{target}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                candidates = [a.name for a in node.names]
            else:
                continue
            for name in [c for c in candidates if c in modules and c != module]:
                parts = name.split(".")
                graph[module].add(name)
                graph[module].update(p for p in (".".join(parts[:i]) for i in range(2, len(parts)))
                                     if p in modules and p not in own)
    return graph


def test_every_import_goes_to_its_own_layer_or_below() -> None:
    assert set(RANK) == {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
                         if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()}
    upward = sorted(f"{m} ({_layer(m)}) imports {t} ({_layer(t)})" for m, ts in _import_graph().items() for t in ts
                    if _layer(t) > _layer(m))
    assert not upward, upward


def test_no_import_loops_between_modules_or_packages() -> None:
    edges = _import_graph()
    state: dict[str, int] = {}
    loops = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                loops.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert not loops, loops


def test_no_module_is_over_600_lines() -> None:
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, long


def _rooms(folder: Path) -> set[str]:
    return {p.stem if p.is_file() else p.name for p in folder.iterdir()
            if (p.suffix == ".py" and p.stem not in ("__init__", "__main__")) or (p / "__init__.py").is_file()}


def test_design_document_names_every_room_and_the_layer_table_is_the_tests() -> None:
    """docs/design.md names every module and package of vsslib/ and of its wings (base/, study/), and its layer
    table's folders are LAYERS."""
    text = (PACKAGE.parent / "docs" / "design.md").read_text()
    rooms = {f"vsslib.{room}" for room in _rooms(PACKAGE)} | {
        f"vsslib.{wing}.{room}" for wing in WINGS for room in _rooms(PACKAGE / wing)}
    missing = sorted(room for room in rooms if room not in text and f"`{room.rsplit('.', 1)[1]}`" not in text)
    assert not missing, missing
    for layer, names in LAYERS.items():
        row = next(line for line in text.splitlines() if line.startswith(f"| {layer} |"))
        assert sorted(row.split("|")[2].replace("`", "").replace(" ", "").split(",")) == sorted(names), layer


def test_design_document_names_only_modules_and_files_that_exist() -> None:
    """Every ``vsslib.<module>`` dotted name in docs/design.md is a module or package of vsslib (or a name one
    defines), and every path in backquotes that ends in ``.py`` or ``/`` lies in the repository or in vsslib/."""
    text = (PACKAGE.parent / "docs" / "design.md").read_text()
    modules = _modules()
    wrong = []
    for dotted in sorted(set(re.findall(r"\bvsslib(?:\.\w+)+", text))):
        parts = dotted.split(".")
        known = max(i for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in modules)
        if len(parts) - known > 1 or (len(parts) > known and not _defines(modules[".".join(parts[:known])],
                                                                       parts[known])):
            wrong.append(dotted)
    for path in sorted(set(re.findall(r"`([\w./]+(?:\.py|/))`", text))):
        if not any((root / path).exists() for root in (PACKAGE.parent, PACKAGE)):
            wrong.append(path)
    assert not wrong, wrong


def _defines(tree: ast.Module, name: str) -> bool:
    """Whether a module defines or imports ``name`` at its top level."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                (a.asname or a.name.split(".")[0]) == name for a in node.names):
            return True
    return False
