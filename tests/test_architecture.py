"""The structure the project promises: one list of sources, stages that import only downwards, no import
cycles, small modules, lint-clean code. Read from the code itself (its AST), not from a picture of it."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from connectors.registry import source_ids

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("contract", "connectors", "warehouse", "quality", "flows", "sandbox")
MAX_MODULE_LINES = 300
# (importer, imported): stages further down the pipeline never import these.
FORBIDDEN = [("warehouse", "connectors"), ("quality", "flows"), ("connectors", "warehouse"),
             ("contract", "connectors"), ("contract", "warehouse"), ("connectors", "flows"),
             ("connectors", "sandbox"), ("warehouse", "flows"), ("connectors", "quality")]  # fmt: skip


def project_modules(folders=PACKAGES + ("bench",)) -> dict[str, Path]:
    """Dotted module name → file, for every Python file of the project (tests excluded)."""
    modules = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imported_modules(path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules a file imports, at any depth of its code (lazy imports count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from package import module` depends on that module; `from module import name` on the module.
            submodules = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [name for name in submodules if name in known] or [node.module]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    known = project_modules()
    return {name: imported_modules(path, known) - {name} for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_between_files():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize(("importer", "imported"), FORBIDDEN)
def test_a_stage_never_imports_a_later_one(importer, imported):
    wrong = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if module.split(".")[0] == importer
        for target in targets
        if target.split(".")[0] == imported
    ]
    assert wrong == []


def test_no_module_is_over_the_size_limit():
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in project_modules().values()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}


def source_lists(path: Path, ids: set[str]) -> list[str]:
    """Literals that list two or more source ids: tuples, lists, sets, dict keys, or "a,b" strings."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            items = node.elts
        elif isinstance(node, ast.Dict):
            items = [key for key in node.keys if key is not None]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "," in node.value:
            parts = {part.strip() for part in node.value.split(",")}
            if len(parts & ids) >= 2:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
            continue
        else:
            continue
        named = [i.value for i in items if isinstance(i, ast.Constant) and i.value in ids]
        if len(set(named)) >= 2:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} {named}")
    return found


def test_sources_are_listed_only_in_the_registry():
    ids = set(source_ids())
    registry = ROOT / "connectors" / "registry.py"
    lists = [
        found for path in project_modules().values() if path != registry for found in source_lists(path, ids)
    ]
    assert lists == []


def test_the_source_list_finder_finds_lists(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        'A = ("onec", "amocrm")\nB = {"website": 1, "metrica": 2}\nC = "onec,metrica"\n'
        'D = ("onec", "other")\nif x in ["amocrm", "website"]: pass\n'
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        found = source_lists(sample, {"onec", "amocrm", "website", "metrica"})
    finally:
        ROOT = saved
    assert [line.split(" ")[0] for line in found] == [
        "sample.py:1",
        "sample.py:2",
        "sample.py:3",
        "sample.py:5",
    ]


def test_the_code_compiles_and_is_lint_clean():
    folders = [str(ROOT / name) for name in (*PACKAGES, "bench", "tests")]
    compiled = subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *folders], capture_output=True, text=True
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    ruff = [sys.executable, "-m", "ruff"]
    for command in (["check", "--quiet"], ["format", "--check", "--quiet"]):
        linted = subprocess.run([*ruff, *command, str(ROOT)], capture_output=True, text=True, cwd=ROOT)
        assert linted.returncode == 0, linted.stdout + linted.stderr


def test_every_stage_knows_its_place():
    # Grouping by package: a module outside the pipeline's folders would escape the rules above.
    stray = defaultdict(list)
    for path in ROOT.glob("*.py"):
        stray["top level"].append(path.name)
    assert dict(stray) == {}
