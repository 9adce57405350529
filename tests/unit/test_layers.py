"""The layers of docs/architecture.md, checked: who may import whom, and no import cycles.

Every first-party module is read as text (nothing is imported) and its imports are
collected: the ones that run when the module is imported (module level, outside
``if TYPE_CHECKING:``) make the import graph whose cycles are refused; every import, a
function's late one included, is held to the layer table.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "storage", "scheduler", "fake_telegram")


@dataclass(frozen=True)
class Import:
    target: str  # the imported module (or a name in it: ``pkg.mod.Name``)
    line: int
    at_import_time: bool  # module level, not under TYPE_CHECKING


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def first_party_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    }


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    drop = node.level - 1 if is_package else node.level
    base = base[: len(base) - drop]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str, path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text("utf-8"))
    is_package = path.name == "__init__.py"

    def walk(nodes: list[ast.stmt], at_import_time: bool) -> Iterator[Import]:
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(alias.name, node.lineno, at_import_time)
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, is_package, node)
                for alias in node.names:
                    yield Import(f"{base}.{alias.name}", node.lineno, at_import_time)
            elif isinstance(node, ast.If):
                inner = at_import_time and not _is_type_checking(node.test)
                yield from walk(node.body, inner)
                yield from walk(node.orelse, at_import_time)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                # A late import runs when the function does: every one inside, once.
                late = [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
                yield from walk(list[ast.stmt](late), False)
            elif isinstance(node, ast.ClassDef):
                yield from walk(node.body, at_import_time)
            elif isinstance(node, (ast.Try, ast.With, ast.AsyncWith, ast.For, ast.While)):
                for block in ("body", "orelse", "finalbody"):
                    yield from walk(getattr(node, block, []), at_import_time)
                for handler in getattr(node, "handlers", []):
                    yield from walk(handler.body, at_import_time)

    yield from walk(tree.body, True)


def owning_module(target: str, modules: dict[str, Path]) -> str | None:
    """The first-party module an import names (``a.b.Name`` → ``a.b``), if any."""
    parts = target.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


MODULES = first_party_modules()
IMPORTS = {module: list(imports_of(module, path)) for module, path in MODULES.items()}


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


# (layer, what it must never import): the table of docs/architecture.md, said as refusals.
FORBIDDEN: list[tuple[str, tuple[str, ...]]] = [
    ("storage", ("bot", "handlers", "scheduler")),
    (
        "bot.config",
        ("bot.services", "bot.presentation", "bot.app", "handlers", "scheduler", "aiogram"),
    ),
    ("bot.services", ("bot.presentation", "bot.app", "handlers", "scheduler", "aiogram")),
    ("bot.presentation", ("bot.app", "handlers", "scheduler")),
    ("handlers", ("bot.app", "scheduler")),
    ("scheduler", ("bot.app", "handlers")),
    ("bot.clock", ("bot.services", "bot.presentation", "bot.app", "handlers", "scheduler")),
    ("bot.i18n", ("bot.services", "bot.presentation", "bot.app", "handlers", "scheduler")),
]


@pytest.mark.parametrize(("layer", "forbidden"), FORBIDDEN, ids=[f[0] for f in FORBIDDEN])
def test_no_layer_imports_a_layer_above_its_own(layer: str, forbidden: tuple[str, ...]) -> None:
    breaches = [
        f"{module}:{imp.line} imports {imp.target}"
        for module, imports in IMPORTS.items()
        if _under(module, layer)
        for imp in imports
        if any(_under(imp.target, banned) for banned in forbidden)
    ]
    assert breaches == []


def test_storage_speaks_aiogram_only_in_its_fsm_storage() -> None:
    # storage.fsm is aiogram's BaseStorage on our tables; nothing else below the
    # presentation knows Telegram.
    speakers = {
        module
        for module, imports in IMPORTS.items()
        if _under(module, "storage")
        for imp in imports
        if _under(imp.target, "aiogram")
    }
    assert speakers == {"storage.fsm"}


def test_no_service_builds_a_bot_api_payload() -> None:
    payload_keys = ("parse_mode", "inline_keyboard", "reply_markup", "callback_data")
    found = [
        f"{module_name(path)}: {key}"
        for module, path in MODULES.items()
        if _under(module, "bot.services")
        for key in payload_keys
        if f'"{key}"' in path.read_text("utf-8")
    ]
    assert found == []


def import_graph() -> dict[str, list[str]]:
    """Who imports whom when a module is imported (late and TYPE_CHECKING imports left out)."""
    return {
        module: sorted(
            {
                owner
                for imp in imports
                if imp.at_import_time
                and (owner := owning_module(imp.target, MODULES)) is not None
                and owner != module
                # ``import a.b.c`` also runs a and a.b; those are packages, not cycles.
                and not _under(module, owner)
            }
        )
        for module, imports in IMPORTS.items()
    }


def cycles_in(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return cycles


def test_no_import_cycles_among_first_party_modules() -> None:
    assert cycles_in(import_graph()) == []


def test_a_cycle_is_found() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"], "e": []}
    assert cycles_in(graph) == [["a", "b", "c"]]


def test_the_scan_sees_the_whole_tree() -> None:
    # A guard for the checks above: they would pass vacuously on an empty tree.
    assert len(MODULES) > 200
    assert any(imp.target.startswith("aiogram") for imp in IMPORTS["bot.app.dispatcher"])
    assert any(
        owning_module(imp.target, MODULES) == "storage.models"
        for imp in IMPORTS["bot.services.tickets.lifecycle"]
    )
