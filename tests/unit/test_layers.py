"""The layout's rules, checked on the source: the core imports no adapter, nothing imports
upwards, no import cycles, and ``parse`` starts without the heavy client libraries.

The import graph is read with ``ast`` (every ``import``, at module level or inside a
function, except those under ``if TYPE_CHECKING:``), so a rule broken anywhere fails here.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import REPORTS, ROOT

SRC = ROOT / "src" / "dirsync_bridge"
PACKAGE = "dirsync_bridge"

CORE = (
    "models",
    "ports",
    "ledger_ports",
    "port_values",
    "raw_message",
    "problem",
    "fingerprint",
    "lifecycle",
    "ticket_plan",
    "run_summary",
    "errors",
    "parse",
)
"""Pure code: parsing, problems, fingerprints, the lifecycle, the ticket plan, and the
values and ports they trade. It may import only itself."""

HEAVY = ("jira", "msal", "ldap3", "jinja2")
"""Client libraries only some commands need."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path) -> Iterator[str]:
    """Every module ``path`` imports (absolute names), TYPE_CHECKING blocks left out."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _type_checking_only(node)
        for child in node.body
        for inner in ast.walk(child)
    }
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            yield origin
            for alias in node.names:  # `from . import x` may import a module
                yield f"{origin}.{alias.name}"


def graph() -> dict[str, set[str]]:
    """Our module -> our modules it imports."""
    files = {module_name(p): p for p in SRC.rglob("*.py")}
    ours = set(files)
    return {
        name: {target for target in imports_of(path) if target in ours and target != name}
        for name, path in files.items()
    }


def in_core(name: str) -> bool:
    inner = name.removeprefix(PACKAGE + ".")
    return any(inner == c or inner.startswith(c + ".") for c in CORE)


def test_the_core_imports_only_the_core() -> None:
    broken = sorted(
        (module, target)
        for module, targets in graph().items()
        if in_core(module)
        for target in targets
        if not in_core(target) and target != PACKAGE
    )
    assert broken == []


def test_the_core_imports_none_of_the_heavy_libraries() -> None:
    files = [p for p in SRC.rglob("*.py") if in_core(module_name(p))]
    assert files
    broken = sorted(
        (module_name(p), target)
        for p in files
        for target in imports_of(p)
        if target.split(".")[0] in HEAVY
    )
    assert broken == []


def cycles_in(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of a graph: its strongly connected components of two or more
    (Tarjan's algorithm)."""
    cycles: list[list[str]] = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
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
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return cycles


def test_no_import_cycles() -> None:
    assert cycles_in(graph()) == []


def test_a_cycle_is_found_when_there_is_one() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles_in(edges) == [["a", "b", "c"]]


def test_imports_inside_functions_count_and_type_checking_ones_do_not(tmp_path: Path) -> None:
    package = tmp_path / "dirsync_bridge"
    package.mkdir()
    module = package / "m.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .hidden import x\n"
        "def f():\n    from .lazy import y\n"
    )
    import tests.unit.test_layers as layers

    original = layers.SRC
    layers.SRC = package
    try:
        found = set(imports_of(module))
    finally:
        layers.SRC = original
    assert "dirsync_bridge.lazy" in found
    assert not any("hidden" in name for name in found)


@pytest.mark.parametrize("command", ["parse", "parse --format json"])
def test_parse_starts_without_jira_msal_ldap3_or_jinja2(command: str, tmp_path: Path) -> None:
    """A whole `dirsync-bridge parse` (through the console entry point) never loads them."""
    report = REPORTS / "aadsync_th_thead.eml"
    code = (
        "import sys\n"
        "from dirsync_bridge.__main__ import main\n"
        f"sys.argv = ['dirsync-bridge', *{command.split()!r}, {str(report)!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0, done.code\n"
        f"loaded = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "print('LOADED', ','.join(loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "LOADED "


def test_the_loaded_modules_check_can_fail(tmp_path: Path) -> None:
    """The same probe on the Jira sink module does see the heavy library it needs."""
    code = (
        "import sys\nimport dirsync_bridge.sinks.jira\n"
        f"print(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert "jira" in done.stdout.strip().split(",")
