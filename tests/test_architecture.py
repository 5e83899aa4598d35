"""The floor plan, as tests that read the imports: knowledge at the bottom, the bot on it, the adapters on
the bot, and the command line (bot/cli) above them all, the one place that wires adapters in. No import
runs upward or in a circle, the core reads no environment and names no platform SDK, and no module grows
past what a reader takes in at once."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / "bot" / "cli"  # the command line: the composition root
PLATFORM_SDKS = ("slack_bolt", "slack_sdk", "botbuilder", "microsoft_agents")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    """Which of our modules each of our modules imports, anywhere in it (functions and type checks too).
    `from bot import audit` names the module bot.audit; the package itself only for a name it defines."""
    paths = {_module(p): p for p in _sources("bot", "knowledge", "adapters")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names if alias.name in paths)
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = {f"{node.module}.{alias.name}" for alias in node.names} & paths.keys()
                edges |= modules
                if len(modules) < len(node.names) and node.module in paths:
                    edges.add(node.module)
        graph[name] = edges - {name}
    return graph


def _floor(module: str) -> int:
    if module in ("bot.cli", "bot.__main__") or module.startswith("bot.cli."):  # `python -m bot` is the CLI
        return 3
    return {"knowledge": 0, "bot": 1, "adapters": 2}[module.split(".")[0]]


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or round a circle (Tarjan's algorithm)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        order[node] = low[node] = len(order)
        stack.append(node)
        for nxt in graph.get(node, set()):
            if nxt not in order:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], order[nxt])
        if low[node] == order[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in order:
            visit(node)
    return found


def _sources(*packages: str) -> list[Path]:
    files = [p for pkg in packages for p in (ROOT / pkg).rglob("*.py")]
    assert files, "no sources found: the test would pass vacuously"
    return files


def test_core_imports_no_platform_sdk() -> None:
    for path in _sources("bot", "knowledge"):
        leaked = {name for name in _imports(path) if name.split(".")[0] in PLATFORM_SDKS}
        assert not leaked, f"{path.relative_to(ROOT)} imports {leaked}"


def test_only_the_edges_touch_the_environment() -> None:
    for path in _sources("bot", "knowledge", "adapters"):
        if path.name == "config.py" or CLI in path.parents:
            continue
        text = path.read_text(encoding="utf-8")
        assert "os.environ" not in text and "os.getenv" not in text, path.relative_to(ROOT)


def test_no_import_runs_upward() -> None:
    """knowledge < bot < adapters < the command line: only bot/cli wires adapters (`serve`, the console)."""
    upward = [
        f"{module} -> {target}"
        for module, targets in _graph().items()
        for target in targets
        if _floor(target) > _floor(module)
    ]
    assert not upward, upward


def test_no_modules_import_each_other() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


MAX_LINES = 400
DATA_TABLES = {"bot/messages.py"}  # every fixed text in both languages, one entry a line or three


def test_no_module_outgrows_a_reading() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in _sources("bot", "knowledge", "adapters")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long.keys() <= DATA_TABLES, long
